# Ingest: the demo archive (when asked), the signal spec, one binning job per session, and one check per
# (session, analysis, mode) after binning that the training jobs of that mode wait for.


# Writes only ever to the shipped demo path (wfplan.DEMO_ARCHIVE), never to a user's `archive:`.
checkpoint demo_archive:
    output:
        directory(wfplan.DEMO_ARCHIVE),
    log:
        "results/logs/demo_archive.log",
    conda:
        ENV
    params:
        args=wfplan.demo_archive_args(config["demo_archive"]),
        version=VERSION,
    shell:
        "neuralmi demo-archive --out {output:q} {params.args:q} > {log:q} 2>&1"


rule signals_spec:
    output:
        "results/signals.yaml",
    log:
        "results/logs/signals_spec.log",
    localrule: True
    conda:
        ENV
    params:
        signals=config["signals"],
    script:
        "../scripts/write_signals.py"


rule bin_session:
    input:
        nwb=get_nwb,
        signals="results/signals.yaml",
    output:
        "results/{session}/binned.nc",
    log:
        "results/logs/bin/{session}.log",
    conda:
        ENV
    threads: RES["ingest"]["threads"]
    resources:
        mem_mb=lambda wc, attempt: RES["ingest"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["ingest"]["runtime"] * attempt,
    params:
        signals=["--signals", "results/signals.yaml"] if config["signals"] else [],
        bin_width=config["bin_width"],
        config_hash=INGEST_HASH,
        version=VERSION,
    shell:
        "HDF5_USE_FILE_LOCKING=FALSE neuralmi bin {input.nwb:q} {params.signals:q}"
        " --bin-width {params.bin_width:q} --config-hash {params.config_hash:q}"
        " --out {output:q} > {log:q} 2>&1"


# The check of an analysis with `required: true` (the default) is a plain rule. With `required: false` a session
# may skip the analysis (it lacks its signal: check_selection.py writes {"skipped": reason}), so its check is a
# checkpoint: the gather's input function (get_gather_inputs) reads the record and asks for the training jobs only
# when the analysis is not skipped. Only those checks are checkpoints because each finished checkpoint makes
# Snakemake re-evaluate the jobs that depend on it (a pass over the DAG); configs without the key plan and run
# exactly as before. The wildcard constraints split the analyses between the two.
rule check_selection:
    input:
        binned=BINNED,
    output:
        SELECTION,
    log:
        "results/logs/check_selection/{session}/{analysis}/{mode}.log",
    wildcard_constraints:
        analysis=REQUIRED_ANALYSES,
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: RES["ingest"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["gather"]["runtime"] * attempt,
    params:
        check=lambda wc: CHECK_PARAMS[(wc.analysis, wc.mode)],
        version=VERSION,
    script:
        "../scripts/check_selection.py"


checkpoint check_selection_optional:
    input:
        binned=BINNED,
    output:
        SELECTION,
    log:
        "results/logs/check_selection/{session}/{analysis}/{mode}.log",
    wildcard_constraints:
        analysis=OPTIONAL_ANALYSES,
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: RES["ingest"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["gather"]["runtime"] * attempt,
    params:
        check=lambda wc: CHECK_PARAMS[(wc.analysis, wc.mode)],
        version=VERSION,
    script:
        "../scripts/check_selection.py"

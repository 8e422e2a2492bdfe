# Gather: per session, analysis and mode, combine the training jobs' partial member tables and fit
# (the 1/N extrapolation, the saturation curve, ...) with the mode's fit settings, which only this step
# receives: changing one re-runs the gathers and reports, never the training. An analysis skipped in a session
# (`required: false`, signal absent) has no parts: its gather writes a result marked skipped from the record.


rule gather:
    input:
        unpack(get_gather_inputs),
    output:
        "results/{session}/{analysis}/{mode}.json",
    log:
        "results/logs/gather/{session}/{analysis}/{mode}.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: RES["gather"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["gather"]["runtime"] * attempt,
    params:
        parts=gather_parts,
        args=gather_args,
        skipped=skipped_args,
        version=VERSION,
    shell:
        "neuralmi gather {wildcards.mode:q} {params.parts:q} {params.args:q} {params.skipped:q}"
        " --json {output:q} > {log:q} 2>&1"

# Fan-out training: one job per (session, analysis, mode, cell). The cells of a mode come from the
# library's plan of the config (neuralmi_core.analysis.config): (gamma, seed) in rigorous mode,
# (embedding_dim, seed) in dimensionality mode, ... Each job trains its cell's members (the gamma chunks,
# the channel halvings) as one batched ensemble through the CLI, with the mode's training settings only.


rule train:
    input:
        binned=BINNED,
        checked=SELECTION,
    output:
        "results/{session}/{analysis}/{mode}/{cell}.json",
    log:
        "results/logs/train/{session}/{analysis}/{mode}/{cell}.log",
    conda:
        ENV
    threads: RES["train"]["threads"]
    resources:
        **GPU_RESOURCES,
        mem_mb=lambda wc, attempt: RES["train"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["train"]["runtime"] * attempt,
    params:
        args=train_args,
        version=VERSION,
    shell:
        "OMP_NUM_THREADS={threads:q} neuralmi {wildcards.mode:q} {params.args:q}"
        " --no-progress --json {output:q} > {log:q} 2>&1"

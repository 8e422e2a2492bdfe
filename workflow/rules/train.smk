# Fan-out training: one job per (session, analysis, gamma, seed) in rigorous mode and per
# (session, analysis, embedding_dim, seed) in dimensionality mode. Each job trains its members
# (the gamma chunks, the channel splits) as one batched ensemble through the CLI.


rule train_rigorous:
    input:
        binned=BINNED,
        checked=SELECTION,
    output:
        "results/{session}/{analysis}/rigorous/g{gamma}_s{seed}.json",
    log:
        "results/logs/train_rigorous/{session}/{analysis}/g{gamma}_s{seed}.log",
    conda:
        ENV
    threads: RES["train"]["threads"]
    resources:
        **GPU_RESOURCES,
        mem_mb=lambda wc, attempt: RES["train"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["train"]["runtime"] * attempt,
    params:
        args=train_args("rigorous"),
        version=VERSION,
    shell:
        "OMP_NUM_THREADS={threads:q} neuralmi rigorous {params.args:q} --gammas {wildcards.gamma:q}"
        " --seed-list {wildcards.seed:q} --no-progress --json {output:q} > {log:q} 2>&1"


rule train_dimensionality:
    input:
        binned=BINNED,
        checked=SELECTION,
    output:
        "results/{session}/{analysis}/dimensionality/d{dim}_s{seed}.json",
    log:
        "results/logs/train_dimensionality/{session}/{analysis}/d{dim}_s{seed}.log",
    conda:
        ENV
    threads: RES["train"]["threads"]
    resources:
        **GPU_RESOURCES,
        mem_mb=lambda wc, attempt: RES["train"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["train"]["runtime"] * attempt,
    params:
        args=train_args("dimensionality"),
        version=VERSION,
    shell:
        "OMP_NUM_THREADS={threads:q} neuralmi dimensionality {params.args:q}"
        " --embedding-dims {wildcards.dim:q} --seed-list {wildcards.seed:q}"
        " --no-progress --json {output:q} > {log:q} 2>&1"

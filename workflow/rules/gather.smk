# Gather: fit the 1/N extrapolation (rigorous) and the saturation curve (dimensionality) per session
# and analysis from the training jobs' partial member tables.


rule gather_rigorous:
    input:
        parts=rigorous_parts,
    output:
        "results/{session}/{analysis}/rigorous.json",
    log:
        "results/logs/gather_rigorous/{session}/{analysis}.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: RES["gather"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["gather"]["runtime"] * attempt,
    params:
        args=lambda wc: GATHER_ARGS["rigorous"][wc.analysis],
        version=VERSION,
    shell:
        "neuralmi gather rigorous {input.parts:q} {params.args:q}"
        " --json {output:q} > {log:q} 2>&1"


rule gather_dimensionality:
    input:
        parts=dimensionality_parts,
    output:
        "results/{session}/{analysis}/dimensionality.json",
    log:
        "results/logs/gather_dimensionality/{session}/{analysis}.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: RES["gather"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["gather"]["runtime"] * attempt,
    params:
        args=lambda wc: GATHER_ARGS["dimensionality"][wc.analysis],
        version=VERSION,
    shell:
        "neuralmi gather dimensionality {input.parts:q} {params.args:q}"
        " --json {output:q} > {log:q} 2>&1"

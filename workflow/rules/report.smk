# Reports: per-session report.html + summary.json (+ figures), archive-wide summary.csv/.html.


rule report_session:
    input:
        unpack(session_results),
        unpack(session_selections),
        binned=BINNED,
        nwb=get_nwb,
    output:
        html=report(
            "results/{session}/report.html",
            caption="../report/session_report.rst",
            category="Session reports",
            subcategory="{session}",
            labels={"session": "{session}", "file": "report.html"},
        ),
        summary="results/{session}/summary.json",
        figures=[
            report(
                path,
                caption="../report/figure.rst",
                category="Figures",
                subcategory="{session}",
                labels={"session": "{session}", "figure": Path(path).stem},
            )
            for path in figure_outputs()
        ],
    log:
        "results/logs/report_session/{session}.log",
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: RES["gather"]["mem_mb"] * attempt,
        runtime=lambda wc, attempt: RES["gather"]["runtime"] * attempt,
    params:
        results=report_result_args,
        truth=truth_args,
        unit=config["unit"],
        config_hash=CONFIG_HASH,
        config_version=config["config_version"],
        version=VERSION,
    shell:
        "neuralmi report session --session {wildcards.session:q} --binned {input.binned:q}"
        " --source {input.nwb:q} {params.results:q} {params.truth:q} --unit {params.unit:q}"
        " --config-hash {params.config_hash:q} --config-version {params.config_version:q}"
        " --html {output.html:q} --json {output.summary:q}"
        " --figures {output.figures:q} > {log:q} 2>&1"


if config.get("study") is None:

    rule summary:
        input:
            all_summaries,
        output:
            csv=report(
                "results/summary.csv",
                caption="../report/summary.rst",
                category="Archive summary",
                labels={"file": "summary.csv"},
            ),
            html=report(
                "results/summary.html",
                caption="../report/summary.rst",
                category="Archive summary",
                labels={"file": "summary.html"},
            ),
        log:
            "results/logs/summary.log",
        localrule: True
        conda:
            ENV
        threads: 1
        params:
            unit=config["unit"],
            config_hash=CONFIG_HASH,
            version=VERSION,
        shell:
            "neuralmi report archive {input:q} --unit {params.unit:q}"
            " --csv {output.csv:q} --html {output.html:q} > {log:q} 2>&1"

else:
    # with a study, summary.html shows study.nc, which is made from summary.csv: the CSV comes first

    rule summary_csv:
        input:
            all_summaries,
        output:
            csv=report(
                "results/summary.csv",
                caption="../report/summary.rst",
                category="Archive summary",
                labels={"file": "summary.csv"},
            ),
        log:
            "results/logs/summary_csv.log",
        localrule: True
        conda:
            ENV
        threads: 1
        params:
            unit=config["unit"],
            config_hash=CONFIG_HASH,
            version=VERSION,
        shell:
            "neuralmi report archive {input:q} --unit {params.unit:q}"
            " --csv {output.csv:q} > {log:q} 2>&1"

    rule summary:
        input:
            summaries=all_summaries,
            study="results/study.nc",
        output:
            html=report(
                "results/summary.html",
                caption="../report/summary.rst",
                category="Archive summary",
                labels={"file": "summary.html"},
            ),
        log:
            "results/logs/summary.log",
        localrule: True
        conda:
            ENV
        threads: 1
        params:
            unit=config["unit"],
            config_hash=CONFIG_HASH,
            version=VERSION,
        shell:
            "neuralmi report archive {input.summaries:q} --unit {params.unit:q}"
            " --study {input.study:q} --html {output.html:q} > {log:q} 2>&1"


rule study:
    input:
        "results/summary.csv",
    output:
        "results/study.nc",
    log:
        "results/logs/study.log",
    localrule: True
    conda:
        ENV
    threads: 1
    params:
        args=study_args,
        version=VERSION,
    shell:
        "neuralmi study {input:q} --out {output:q} {params.args:q} > {log:q} 2>&1"


onerror:
    summarize_failed_run()

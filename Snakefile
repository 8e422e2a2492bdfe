# neuralmi workflow: NWB archive in, bias-corrected MI and dimensionality per session out.
#
#   snakemake --cores 2                          # default config: the embedded demo archive
#   snakemake --profile profiles/slurm           # on a SLURM cluster (see profiles/slurm/profile.yaml)
#   snakemake --configfile my_config.yaml ...    # your archive and analyses
#
# Rules: workflow/rules/{common,ingest,train,gather,report}.smk; config schema:
# workflow/schemas/config.schema.yaml (validated before any job runs).

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/gather.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets,
    localrule: True

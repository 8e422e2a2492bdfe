"""Write the config's `signals:` section as the YAML signal spec of `neuralmi bin --signals` (atomic)."""

import yaml

from neuralmi_core.io.atomic import atomic_write_text

out = snakemake.output[0]  # noqa: F821 (injected by Snakemake)
atomic_write_text(out, yaml.safe_dump(snakemake.params.signals or {}, sort_keys=False))  # noqa: F821
with open(snakemake.log[0], "w") as log:  # noqa: F821
    print(f"wrote {out}", file=log)

"""Write the config's `signals:` section as the YAML signal spec of `neuralmi bin --signals` (atomic)."""

import os

import yaml

out = snakemake.output[0]  # noqa: F821 (injected by Snakemake)
tmp = os.path.join(os.path.dirname(out) or ".", f".{os.path.basename(out)}.tmp")
with open(tmp, "w") as fh:
    yaml.safe_dump(snakemake.params.signals or {}, fh, sort_keys=False)  # noqa: F821
os.replace(tmp, out)
with open(snakemake.log[0], "w") as log:  # noqa: F821
    print(f"wrote {out}", file=log)

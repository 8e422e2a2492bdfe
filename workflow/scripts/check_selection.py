"""Check one mode of one analysis of one binned session before its training jobs: what it selects, and that the
session is long enough for the mode's chunks, splits and lags (neuralmi_core.analysis.preflight). Writes the selection
record (JSON) the training jobs wait for and the report shows; on a problem, exits 2 with one line naming the
session, the analysis and the config keys to change (also in the log)."""

import sys

from neuralmi_core.analysis.preflight import preflight
from neuralmi_core.io.arrays import write_json
from neuralmi_core.validation import NeuralMIError

sm = snakemake  # noqa: F821 (injected by Snakemake)
p = sm.params.check
where = f"session {sm.wildcards.session}, analysis {sm.wildcards.analysis}"
try:
    record = preflight(sm.input.binned, p["x"], p["y"], window=p["window"], lag=p["lag"], modes=p["modes"],
                       use_y=p["use_y"], where=where, keys=p["keys"], z=p.get("z"))
except NeuralMIError as exc:
    message = f"neuralmi check: error: {exc}"
    with open(sm.log[0], "w") as log:
        print(message, file=log)
    print(message, file=sys.stderr)
    sys.exit(2)
record.update(session=sm.wildcards.session, analysis=sm.wildcards.analysis)
write_json(sm.output[0], record)
with open(sm.log[0], "w") as log:
    print(f"{where}: {record['n_rows']} of {record['n_bins']} bins usable -> {sm.output[0]}", file=log)
    for w in record["warnings"]:
        print(f"warning: {w}", file=log)

"""Check one mode of one analysis of one binned session before its training jobs: what it selects, and that the
session is long enough for the mode's chunks, splits and lags (neuralmi_core.analysis.preflight). Writes the selection
record (JSON) the training jobs wait for and the report shows; on a problem, exits 2 with one line naming the
session, the analysis and the config keys to change (also in the log).

An analysis with `required: false` in the config whose signal the session lacks (a variable absent from the binned
file, a selector value matching no unit/ROI/channel) is skipped instead: the record is {"skipped": reason, ...}, the
job exits 0, and the workflow runs no training job for it (the gather writes a result marked skipped)."""

import sys

from neuralmi_core.analysis.preflight import preflight_or_skip
from neuralmi_core.io.arrays import write_json
from neuralmi_core.validation import NeuralMIError

sm = snakemake  # noqa: F821 (injected by Snakemake)
p = sm.params.check
where = f"session {sm.wildcards.session}, analysis {sm.wildcards.analysis}"
try:
    record = preflight_or_skip(sm.input.binned, p["x"], p["y"], window=p["window"], lag=p["lag"], modes=p["modes"],
                               use_y=p["use_y"], where=where, keys=p["keys"], z=p.get("z"),
                               required=p.get("required", True), min_units=p.get("min_units", 1))
except NeuralMIError as exc:
    message = f"neuralmi check: error: {exc}"
    with open(sm.log[0], "w") as log:
        print(message, file=log)
    print(message, file=sys.stderr)
    sys.exit(2)
record.update(session=sm.wildcards.session, analysis=sm.wildcards.analysis)
if record.get("skipped"):
    record["mode"] = sm.wildcards.mode
write_json(sm.output[0], record)
with open(sm.log[0], "w") as log:
    if record.get("skipped"):
        print(f"skipped (required: false): {record['skipped']} -> {sm.output[0]}", file=log)
    else:
        print(f"{where}: {record['n_rows']} of {record['n_bins']} bins usable -> {sm.output[0]}", file=log)
        for w in record["warnings"]:
            print(f"warning: {w}", file=log)

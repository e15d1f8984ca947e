#!/usr/bin/env bash
# Renders the default tabletop case's report.html in headless Chromium and fails if the page logs console errors.
# Not a unit test: run it by hand and look at the PNG it prints:
#   bash test/report-screenshot.sh              runs the default tabletop case, then renders its report
#   bash test/report-screenshot.sh CASE_DIR     renders the report of an existing local case folder
set -euo pipefail
cd "$(dirname "$0")/.."
CASE_DIR="${1:-}"
OUT="$(mktemp -d /tmp/custody-report-shot.XXXXXX)"

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update && apt-get install -y chromium
fi

# 1. The default tabletop case (the real state machine and tasks against the sandbox), then its report rendered by
#    `custody report` (the same renderer RenderReport uses), into a folder beside the case.
ENTRY="$OUT/render-entry.ts"
cat > "$ENTRY" <<TS
import { tabletop } from '$(pwd)/cli/commands/tabletop';
import { reportCommand } from '$(pwd)/cli/commands/report';
async function main(): Promise<void> {
  const lines: string[] = [];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => process.stderr.write(line + '\n') };
  let caseDir = '$CASE_DIR';
  if (!caseDir) {
    await tabletop({ out: '$OUT/tabletop', json: true }, io);
    const summary = JSON.parse(lines[lines.length - 1]) as { caseDir: string | null };
    if (!summary.caseDir) throw new Error('the tabletop case left no case folder');
    caseDir = summary.caseDir;
  }
  const code = await reportCommand(caseDir, { out: '$OUT/report' }, { out: (l) => console.log(l), err: (l) => console.error(l) });
  process.exit(code);
}
main().catch((error) => { console.error(error); process.exit(1); });
TS
# The bundle lives outside the repository: point the one __dirname user (tasks/lib/paths.ts) back at it.
npx esbuild "$ENTRY" --bundle --platform=node --target=node20 --log-level=warning --outfile="$OUT/render.js" \
  --define:__dirname="\"$(pwd)/tasks/lib\""
node "$OUT/render.js" > "$OUT/render.log" 2>&1 || { cat "$OUT/render.log"; exit 1; }
HTML="$OUT/report/report.html"
test -s "$HTML"

# 2. Headless Chromium with no network side channels; --enable-logging=stderr prints the page's console messages.
PNG="$OUT/report.png"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$(mktemp -d)" --enable-logging=stderr --v=0 \
  --screenshot="$PNG" --window-size=1280,2400 "file://$HTML" > "$OUT/chromium.log" 2>&1 || true
test -s "$PNG" || { cat "$OUT/chromium.log"; echo "no screenshot was written" >&2; exit 1; }

# Console messages appear as `CONSOLE(...)` lines or "Uncaught …"; a self-contained page has none.
if grep -E 'CONSOLE\(|Uncaught|ERR_FILE_NOT_FOUND|net::ERR' "$OUT/chromium.log"; then
  echo "the report page logged console errors (see $OUT/chromium.log)" >&2
  exit 1
fi
echo "report: $HTML"
echo "screenshot: $PNG"

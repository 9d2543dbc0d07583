#!/usr/bin/env bash
# Render the LaTeX example shown in the README: `vcbound explain ARCH --format latex --standalone`
# for the stacked-LSTM architecture (or the architecture given as $1), compiled with
# pdflatex + bibtex (the bibliography travels inside the .tex via filecontents*), page 1 converted
# to docs/latex-example.png with pdftoppm (poppler-utils). The .tex is kept as docs/latex-example.tex.
#
#   scripts/render_example.sh ["input(d, seq=T) -> rnn(n, act=sigmoid) -> last -> dense(1, act=threshold)"]
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH="${1:-input(d, seq=T) -> lstm(n)^L -> last -> dense(1, act=sigmoid)}"
PYTHON="${PYTHON:-python}"

for tool in pdflatex bibtex pdftoppm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "render_example.sh: '$tool' not found" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m vcbound explain "$ARCH" --format latex --standalone > "$work/example.tex"

compile() {
  (cd "$work" && pdflatex -interaction=nonstopmode -halt-on-error example.tex >/dev/null) || {
    echo "render_example.sh: pdflatex failed; the log says:" >&2
    grep -A3 '^!' "$work/example.log" >&2 || tail -20 "$work/example.log" >&2
    exit 1
  }
}
compile
(cd "$work" && bibtex example >/dev/null) || { cat "$work/example.blg" >&2; exit 1; }
compile
compile
if grep -Eq 'undefined (references|citations)|Citation .* undefined' "$work/example.log"; then
  echo "render_example.sh: undefined citations in the example" >&2
  exit 1
fi

mkdir -p docs
cp "$work/example.tex" docs/latex-example.tex
pdftoppm -png -r 110 -f 1 -l 1 -singlefile "$work/example.pdf" docs/latex-example
echo "wrote docs/latex-example.png and docs/latex-example.tex"

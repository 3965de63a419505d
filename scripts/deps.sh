#!/usr/bin/env bash
# Installs what wenshu's tests and tools need from Debian's packages, only
# when something is missing:
#   - LibreOffice (libreoffice-writer-nogui) to open the generated .docx,
#   - CJK fonts (fonts-noto-cjk) so LibreOffice lays Chinese out,
#   - poppler-utils (pdftotext, pdftoppm, pdfinfo) to read its PDFs,
#   - Chromium (chromium) for the browser tests,
#   - tesseract with its Simplified Chinese data (tesseract-ocr,
#     tesseract-ocr-chi-sim) to read scanned replies (textract),
#   - a C/C++ toolchain for cgo (gojieba, go-sqlite3).
# Usage: scripts/deps.sh        (as root, or with sudo available)
set -euo pipefail

need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 || need+=(poppler-utils)
if ! command -v fc-list >/dev/null 2>&1 || ! fc-list :lang=zh family 2>/dev/null | grep -q .; then
	need+=(fonts-noto-cjk fontconfig)
fi
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx chi_sim; then
	need+=(tesseract-ocr-chi-sim)
fi
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v prlimit >/dev/null 2>&1 || need+=(util-linux) # textract bounds its tools with it

if ((${#need[@]} == 0)); then
	echo "deps: all present"
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps: need root to install: ${need[*]}" >&2; exit 1; }
	sudo=(sudo)
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "deps: installed ${need[*]}"

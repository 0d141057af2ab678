#!/usr/bin/env bash
# System packages the tests need: Chromium (dashboard tests through Playwright), PostgreSQL server
# (the SSD database loader is tested against a real server), poppler-utils (reading PDFs back), npm (axe-core),
# a Java runtime (PySpark), and the Pango/HarfBuzz/fonts WeasyPrint renders with. Installs only what is missing.
set -euo pipefail
# With "report", only what writing the PDF report needs (for `make demo`).
need=()
if [ "${1:-}" != "report" ]; then
  command -v chromium >/dev/null || need+=(chromium)
  [ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
  command -v pdftoppm >/dev/null || need+=(poppler-utils)
  command -v npm >/dev/null || need+=(npm)  # installs axe-core for the accessibility tests
  command -v java >/dev/null || need+=(default-jre-headless)  # PySpark (the pool computed on Spark)
fi
ldconfig -p | grep -q libpangoft2-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
fc-list | grep -qi dejavu || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${need[*]} (install them as root: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

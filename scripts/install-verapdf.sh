#!/usr/bin/env bash
# Install veraPDF (the reference PDF/A and PDF/UA validator; not in Debian or PyPI) from
# Maven Central into .tools/verapdf-VERSION/ (git-ignored) with a `verapdf` launcher.
# Idempotent: a second run finds the launcher and installs nothing.
# Needs mvn and java (Debian: maven, default-jre-headless; scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
pom=scripts/verapdf/pom.xml
version=$(sed -n 's:.*<verapdf.version>\(.*\)</verapdf.version>.*:\1:p' "$pom")
home=.tools/verapdf-$version
launcher=$home/verapdf
if [ -x "$launcher" ] && [ -f "$home/lib/greenfield-apps-$version.jar" ]; then
  exit 0
fi
rm -rf "$home.partial"
mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$PWD/$home.partial/lib"
cat >"$home.partial/verapdf" <<'LAUNCH'
#!/bin/sh
# veraPDF command line (greenfield parser), installed by scripts/install-verapdf.sh.
here=$(dirname "$(readlink -f "$0")")
exec java -Xss8m -cp "$here/lib/*" -Dapp.home="$here" org.verapdf.apps.GreenfieldCliWrapper "$@"
LAUNCH
chmod +x "$home.partial/verapdf"
rm -rf "$home"
mv "$home.partial" "$home"
ln -sfn "verapdf-$version" .tools/verapdf
"$launcher" --version | head -1

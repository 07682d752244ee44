#!/usr/bin/env bash
# Installs what SwiftJK needs on Debian 12 and is missing: httpd with its headers, Debian's
# mod_jk (the reference for differential tests), Tomcat 10 from Debian's packages, and the
# load/test tools (promtool from prometheus for the status worker's metrics; headless chromium
# with chromium-driver and python3-selenium for the status page's browser test). The system
# apache2 and prometheus services are not started (policy-rc.d during the install).
set -euo pipefail
packages=(apache2 apache2-dev apache2-utils libapache2-mod-jk tomcat10-user tomcat10-common libtomcat10-java
          curl wrk iproute2 openssl python3
          prometheus chromium chromium-driver python3-selenium
          dpkg-dev lintian)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
policy_created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
export DEBIAN_FRONTEND=noninteractive
# A failing apt-get does not stop here: the check below names every package still missing.
$SUDO apt-get update -q || echo "install-deps: apt-get update failed" >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" || echo "install-deps: apt-get install failed" >&2
if [ $policy_created -eq 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
# Say loudly what is still missing: the tests fail on a missing dependency instead of skipping.
still=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "install-deps: MISSING after the install: ${still[*]} (the tests that need them will fail)" >&2
  exit 1
fi
echo "install-deps: done"

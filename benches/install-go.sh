#!/bin/bash
# Installs Go 1.23 for building rungo's Go twins (benches/go/), unless it is there already.
# On Debian bookworm this is the golang-1.23-go package of the bookworm-backports suite, added on
# the mirror that the machine's apt sources already use. Needs root to install.
# Prints the go binary's path.
set -euo pipefail
GO=/usr/lib/go-1.23/bin/go
if [[ ! -x $GO ]]; then
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | grep -v security | head -n 1 | awk '{print $2}')
    [[ -n $uri ]] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | grep -v security | head -n 1 | awk '{print $2}')
    [[ -n $uri ]] || { echo "install-go.sh: no Debian mirror found in the apt sources" >&2; exit 1; }
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
      > /etc/apt/sources.list.d/bookworm-backports.sources
  fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-1.23-go >/dev/null
fi
echo "$GO"

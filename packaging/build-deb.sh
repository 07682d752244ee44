#!/usr/bin/env bash
# Builds libapache2-mod-swiftjk_<version>_<arch>.deb with Debian's own tools: dpkg-shlibdeps for
# the library dependencies, dpkg-gencontrol for DEBIAN/control, dpkg-deb --root-owner-group.
# Called by `make deb`; every input comes from the environment the Makefile sets:
#   VERSION     package version (the VERSION file)
#   LIBEXECDIR  httpd's module directory (apxs -q LIBEXECDIR)
#   MODULE      the built mod_swiftjk.so          CLI  the built swiftjk
#   MAINTAINER  the Maintainer field               OUT  the directory the .deb is written to
#   STAGE       scratch directory (deleted and recreated)
set -euo pipefail
umask 022
: "${VERSION:?}" "${LIBEXECDIR:?}" "${MODULE:?}" "${CLI:?}" "${MAINTAINER:?}" "${OUT:?}" "${STAGE:?}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$HERE/debian"
PACKAGE=libapache2-mod-swiftjk
ARCH="$(dpkg --print-architecture)"
DOC=usr/share/doc/$PACKAGE

case "$STAGE" in /|"") echo "build-deb: refusing STAGE=$STAGE" >&2; exit 1 ;; esac
rm -rf "$STAGE"
ROOT="$STAGE/debian/$PACKAGE"     # debhelper's layout, which dpkg-shlibdeps expects
mkdir -p "$ROOT/DEBIAN"

# Files in the package.
install -d "$ROOT$LIBEXECDIR" "$ROOT/usr/bin" "$ROOT/etc/apache2/mods-available" "$ROOT/$DOC" \
  "$ROOT/usr/share/man/man1"
# Stripped as dh_strip does (the module is already stripped by `make`, with a debuglink to
# mod_swiftjk.debug, which is not shipped).
install -m 644 "$MODULE" "$ROOT$LIBEXECDIR/mod_swiftjk.so"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$ROOT$LIBEXECDIR/mod_swiftjk.so"
install -m 755 "$CLI" "$ROOT/usr/bin/swiftjk"
strip --remove-section=.comment --remove-section=.note "$ROOT/usr/bin/swiftjk"
sed "s|@LIBEXECDIR@|$LIBEXECDIR|g" "$SRC/swiftjk.load" > "$ROOT/etc/apache2/mods-available/swiftjk.load"
install -m 644 "$SRC/swiftjk.conf" "$ROOT/etc/apache2/mods-available/swiftjk.conf"
chmod 644 "$ROOT/etc/apache2/mods-available/swiftjk.load"
sed "s|@VERSION@|$VERSION|g" "$SRC/swiftjk.1" | gzip -9n > "$ROOT/usr/share/man/man1/swiftjk.1.gz"
install -m 644 "$SRC/README.Debian" "$ROOT/$DOC/README.Debian"

# Dates: SOURCE_DATE_EPOCH, else the last commit of the VERSION file (reproducible), else now.
stamp="${SOURCE_DATE_EPOCH:-$(git -C "$HERE/.." log -1 --format=%ct -- VERSION 2>/dev/null || true)}"
stamp="${stamp:-$(date +%s)}"
first="$(git -C "$HERE/.." log --reverse --format=%cd --date=format:%Y 2>/dev/null | head -n 1 || true)"
last="$(date -u -d "@$stamp" +%Y)"
years="${first:-$last}"
[ "$years" = "$last" ] || years="$years-$last"
sed -e "s|@MAINTAINER@|$MAINTAINER|g" -e "s|@YEARS@|$years|g" "$SRC/copyright" > "$ROOT/$DOC/copyright"

# A minimal changelog whose version is VERSION.
cat > "$STAGE/debian/changelog" <<EOF
swiftjk ($VERSION) unstable; urgency=medium

  * SwiftJK $VERSION, packaged for Debian 12 (bookworm): the module, a2enmod
    swiftjk (refused while jk is enabled), the swiftjk checker and its manual.

 -- $MAINTAINER  $(LC_ALL=C date -u -R -d "@$stamp")
EOF
gzip -9n < "$STAGE/debian/changelog" > "$ROOT/$DOC/changelog.gz"

# Maintainer scripts and conffiles.
install -m 755 "$SRC/postinst" "$SRC/prerm" "$SRC/postrm" "$ROOT/DEBIAN/"
install -m 644 "$SRC/conffiles" "$ROOT/DEBIAN/conffiles"

# DEBIAN/control: Depends from the ELF files (libc6, libstdc++6, libgcc-s1), Installed-Size
# from the tree, Architecture from dpkg --print-architecture.
sed "s|@MAINTAINER@|$MAINTAINER|g" "$SRC/control" > "$STAGE/debian/control"
(
  cd "$STAGE"
  dpkg-shlibdeps -Tdebian/substvars "debian/$PACKAGE$LIBEXECDIR/mod_swiftjk.so" "debian/$PACKAGE/usr/bin/swiftjk"
  dpkg-gencontrol -p"$PACKAGE" -P"debian/$PACKAGE" -Tdebian/substvars -DArchitecture="$ARCH"
)
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$ROOT/DEBIAN/md5sums"
chmod 644 "$ROOT/DEBIAN/md5sums" "$ROOT/DEBIAN/control"

DEB="$OUT/${PACKAGE}_${VERSION}_${ARCH}.deb"
dpkg-deb --build --root-owner-group -Zxz "$ROOT" "$DEB"
echo "build-deb: $DEB ($(du -h "$DEB" | cut -f1))"

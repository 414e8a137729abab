#!/bin/sh
# Puts lbpcascade_animeface.xml (MIT, by nagadomi) into this folder:
# copied from ../shared/cascades/ when that folder exists beside the
# repository, else downloaded from its upstream repository; the SHA-256 is
# checked either way. The file is third-party and git-ignored: never commit it.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
file=lbpcascade_animeface.xml
want=9376d30ac38db6bda2a68b88b3b76bbd7e6aa33af47f7f5c76bc88ca75f1ce30
url=https://raw.githubusercontent.com/nagadomi/lbpcascade_animeface/master/$file
dest=$dir/$file

sum() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest" ] && [ "$(sum "$dest")" = "$want" ]; then
	echo "cascades/$file: present"
	exit 0
fi

tmp=$dest.tmp
trap 'rm -f "$tmp"' EXIT
# The shared data folder sits beside the repository (or a parent of it).
shared=
d=$dir/..
while [ "$(cd "$d" && pwd)" != / ]; do
	d=$d/..
	if [ -f "$d/shared/cascades/$file" ]; then
		shared=$(cd "$d/shared/cascades" && pwd)/$file
		break
	fi
done
if [ -n "$shared" ]; then
	cp "$shared" "$tmp"
	from=$shared
elif command -v curl >/dev/null 2>&1 &&
	curl -fsSL --max-time 60 -o "$tmp" "$url" 2>/dev/null; then
	from=$url
elif command -v wget >/dev/null 2>&1 &&
	wget -q -T 60 -O "$tmp" "$url" 2>/dev/null; then
	from=$url
else
	echo "cascades/$file: missing and could not be downloaded." >&2
	echo "Get it from https://github.com/nagadomi/lbpcascade_animeface" >&2
	echo "(file $file, SHA-256 $want) and put it in $dir/" >&2
	exit 1
fi

if [ "$(sum "$tmp")" != "$want" ]; then
	echo "cascades/$file from $from: SHA-256 $(sum "$tmp"), want $want" >&2
	exit 1
fi
chmod 644 "$tmp"
mv "$tmp" "$dest"
echo "cascades/$file: from $from"

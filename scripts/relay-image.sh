#!/usr/bin/env bash
# The media relay's container image, built and pushed without Docker or a base-image registry
# (docs/infra.md, "Relay image without Docker").
#   relay-image.sh build [OUT]                      OCI image layout at OUT (default artifacts/relay-image), tag latest
#   relay-image.sh push [URI[:TAG]] [--layout DIR]  copy it to a registry (default: the stack's RelayRepositoryUri, tag latest)
#   relay-image.sh pin                              rewrite scripts/relay-image.debs to the versions apt offers now
# build: base layer = the pinned Debian .debs (scripts/relay-image.debs) extracted with dpkg-deb, the way distroless
# images are made, plus passwd/group with the non-root user `app` (1654); app layer = the published relay in /app.
# Both layers are tars with fixed owners, order and times, so the same inputs give the same digests and a rebuild of
# the app reuses the base layer (the registry already has that blob). umoci writes the image; skopeo pushes it.
# The app layer is the relay as scripts/publish-relay.sh publishes it: RELAY_BUILD=aot (default; Native AOT, one
# executable that needs only libc, libm and OpenSSL, so the base layer leaves out the C++ runtime) or RELAY_BUILD=jit
# (self-contained JIT build, for comparison). RELAY_ARCH=arm64 (default: the stack's task definition runs ARM64,
# Graviton) or amd64: the Debian packages of that architecture (pins in scripts/relay-image.debs for amd64,
# scripts/relay-image.arm64.debs for arm64; apt needs `dpkg --add-architecture arm64`, which the build does when root)
# and the relay cross-published for linux-arm64 (Native AOT; scripts/publish-relay.sh). The relay's executable carries
# the file capability cap_net_bind_service (a security.capability xattr in the app layer), so the non-root user can
# bind ICE-TCP on 443 (docs/relay.md, "ICE-TCP"). build prints the image's size and the relay's start time (process start
# to the first 200 from /health, median of RELAY_READY_RUNS, default 10, on this machine) and records both per build in
# bench/results/relay-image.json (RELAY_IMAGE_RESULTS: another file), printing the other build's figures too when an
# earlier run recorded them.
# Environment: SOURCE_DATE_EPOCH (image creation time; default: the HEAD commit's), RELAY_IMAGE_CACHE (.deb cache,
# default .local/relay-image), LILIUM_STACK (push's stack, default LiliumShare), RELAY_IMAGE_TLS_VERIFY=false (push
# to a plain-HTTP registry).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${RELAY_IMAGE_CACHE:-$ROOT/.local/relay-image}"
TAG=latest
BUILD="${RELAY_BUILD:-aot}"
ARCH="${RELAY_ARCH:-arm64}"
case "$ARCH" in
  amd64) RID=linux-x64; MULTIARCH=x86_64-linux-gnu; PINS="$ROOT/scripts/relay-image.debs" ;;
  arm64) RID=linux-arm64; MULTIARCH=aarch64-linux-gnu; PINS="$ROOT/scripts/relay-image.arm64.debs" ;;
  *) echo "relay-image: RELAY_ARCH must be amd64 or arm64, not '$ARCH'" >&2; exit 2 ;;
esac
APP_UID=1654
HTTP_PORT=8080
MEDIA_PORT=7882
TCP_PORT=443 # ICE-TCP (RELAY_TCP_PORT): what networks that block UDP still let out

die() { echo "relay-image: $*" >&2; exit 1; }
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || die "'$t' not found; 'make deps' (scripts/install-deps.sh) installs it."
  done
}

# Pinned packages as "name version sha256" lines; `pins base` only those the selected build loads (the Native AOT
# relay has no C++ runtime to load).
# apt serves arm64 packages once dpkg knows the architecture (a foreign one on an x64 machine).
ensure_arch() {
  [ "$ARCH" = "$(dpkg --print-architecture)" ] && return
  dpkg --print-foreign-architectures | grep -qx "$ARCH" && return
  [ "$(id -u)" = 0 ] || die "apt cannot download $ARCH packages yet: sudo dpkg --add-architecture $ARCH && sudo apt-get update"
  echo "relay-image: dpkg --add-architecture $ARCH; apt-get update" >&2
  dpkg --add-architecture "$ARCH"
  apt-get update -qq -o DPkg::Lock::Timeout=300 || die "apt-get update failed after adding $ARCH"
}

# The name apt knows a package by for $ARCH: name:$ARCH, or the bare name for an architecture-independent (all) one.
apt_name() {
  local policy; policy="$(apt-cache policy "$1:$ARCH" 2>/dev/null || true)" # whole, before grep -q (SIGPIPE under pipefail)
  if grep -q 'Candidate: [^(]' <<<"$policy"; then echo "$1:$ARCH"; else echo "$1"; fi
}

pins() {
  if [ "${1:-}" = base ] && [ "$BUILD" = aot ]; then
    grep -Ev '^[[:space:]]*(#|$)' "$PINS" | grep -Ev '^(libstdc\+\+6|libgcc-s1|gcc-12-base) '
  else
    grep -Ev '^[[:space:]]*(#|$)' "$PINS"
  fi
}

# Downloads name=version for $ARCH into the cache unless there; prints the file's path. Checks the hash either way.
# When Debian no longer serves the pinned version (the archive keeps only the newest, and security updates replace
# libc6 or libssl3 every few weeks), the build takes the version apt offers now and says so, so that a fresh clone
# still builds; RELAY_IMAGE_STRICT_PINS=1 fails instead (for a release build that must match the pins exactly).
fetch_deb() { # name version sha256
  local name="$1" version="$2" sha="$3" file="$CACHE/debs/${1}_${2}_${ARCH}.deb" tmp
  if [ ! -f "$file" ]; then
    mkdir -p "$CACHE/debs"
    tmp="$(mktemp -d "$CACHE/debs/.download.XXXXXX")"
    # As root, apt drops to _apt for downloads, which cannot write a private temporary folder.
    local sandbox=(); [ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)
    if ! (cd "$tmp" && apt-get -qq "${sandbox[@]}" download "$(apt_name "$name")=$version" >&2 2>/dev/null); then
      local current
      if [ "${RELAY_IMAGE_STRICT_PINS:-0}" != 1 ] && (cd "$tmp" && apt-get -qq "${sandbox[@]}" download "$(apt_name "$name")" >&2) \
          && current="$(ls "$tmp"/*.deb 2>/dev/null | head -1)" && [ -n "$current" ]; then
        echo "relay-image: WARNING: $name $version (pinned) is no longer served; using $(dpkg-deb -f "$current" Version)." \
          "Run 'scripts/relay-image.sh pin' and commit scripts/relay-image.debs to pin it." >&2
        file="$CACHE/debs/${name}_$(dpkg-deb -f "$current" Version)_${ARCH}.deb"
        mv "$current" "$file"; rm -rf "$tmp"
        echo "$file"
        return
      fi
      rm -rf "$tmp"
      die "apt cannot download $name $version. If apt's lists are old, run 'apt-get update' (sudo). If Debian has
  replaced that version (a security update; the archive keeps only the newest), run 'scripts/relay-image.sh pin',
  review the diff of scripts/relay-image.debs and commit it."
    fi
    mv "$tmp"/*.deb "$file"; rmdir "$tmp"
  fi
  if [ -n "$sha" ] && [ "$(sha256sum "$file" | cut -c1-64)" != "$sha" ]; then
    rm -f "$file"
    die "$name $version: the .deb's sha256 is not the one pinned in scripts/relay-image.debs (removed it from the cache)."
  fi
  echo "$file"
}

# The base root filesystem: the pinned packages' files (no maintainer scripts run: they would need a shell and dpkg
# inside the image; what ca-certificates' script would generate is written here), minus documentation.
make_base() { # rootfs
  local rootfs="$1" name version sha deb
  mkdir -p "$rootfs/var/lib/dpkg"
  : > "$rootfs/var/lib/dpkg/status"
  while read -r name version sha; do
    deb="$(fetch_deb "$name" "$version" "$sha")"
    dpkg-deb -x "$deb" "$rootfs"
    echo "$name=$(dpkg-deb -f "$deb" Version)" >> "$(dirname "$rootfs")/versions"
    # A dpkg status database, so image scanners (ECR's scan on push) see which packages and versions are inside.
    { dpkg-deb -f "$deb" | sed '1a Status: install ok installed'; echo; } >> "$rootfs/var/lib/dpkg/status"
  done < <(pins base)

  # Documentation (keeping each package's copyright), debugger scripts, iconv modules (.NET never calls iconv),
  # and the scripts that would need a shell.
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  rm -rf "$rootfs"/usr/share/{man,info,lintian,gdb,gcc} "$rootfs/usr/lib/$MULTIARCH/gconv" \
    "$rootfs/usr/sbin/update-ca-certificates" "$rootfs/etc/update-motd.d"

  # What update-ca-certificates would write, and the links Debian's openssl package adds (OpenSSL's default paths).
  mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/lib/ssl"
  find "$rootfs/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat > "$rootfs/etc/ssl/certs/ca-certificates.crt"
  ln -sfn /etc/ssl/certs "$rootfs/usr/lib/ssl/certs"
  ln -sfn /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/lib/ssl/cert.pem"

  printf '%s\n' 'root:x:0:0:root:/root:/usr/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' \
    "app:x:$APP_UID:$APP_UID:app:/home/app:/usr/sbin/nologin" > "$rootfs/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' "app:x:$APP_UID:" > "$rootfs/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"
  mkdir -p "$rootfs/home/app" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
}

# A layer tar that depends on content only: sorted entries, numeric owners (root unless --owner given), times zeroed.
layer_tar() { # out dir [tar args...]
  local out="$1" dir="$2"; shift 2
  tar --create --file "$out" --directory "$dir" --sort=name --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime=@0 --numeric-owner --owner=0 --group=0 "$@"
}

build() {
  local out="${1:-$ROOT/artifacts/relay-image}"
  need dotnet dpkg-deb apt-get umoci tar python3 setcap
  ensure_arch
  umask 022
  mkdir -p "$(dirname "$out")"
  out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
  local work; work="$(mktemp -d "${TMPDIR:-/tmp}/relay-image.XXXXXX")"
  trap "rm -rf '$work'" EXIT

  local revision epoch created source_url
  revision="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
  epoch="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}"
  created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
  source_url="$(git -C "$ROOT" config --get remote.origin.url 2>/dev/null || true)"
  case "$source_url" in https://*) ;; git@github.com:*) source_url="https://github.com/${source_url#git@github.com:}" ;; *) source_url="" ;; esac
  source_url="${source_url%.git}"

  case "$BUILD" in aot|jit) ;; *) die "RELAY_BUILD must be aot or jit, not '$BUILD'" ;; esac
  echo "relay-image: base root filesystem from $(pins base | wc -l) pinned Debian packages ($BUILD build)" >&2
  make_base "$work/rootfs"
  layer_tar "$work/base.tar" "$work/rootfs" --exclude=./home/app .
  tar --append --file "$work/base.tar" --directory "$work/rootfs" --format=posix --no-recursion \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime=@0 --numeric-owner --owner="$APP_UID" --group="$APP_UID" ./home/app

  echo "relay-image: dotnet publish ($BUILD, $RID)" >&2
  RELAY_BUILD="$BUILD" RELAY_RID="$RID" bash "$ROOT/scripts/publish-relay.sh" "$work/app/app"
  [ -x "$work/app/app/Lilium.Relay" ] || die "dotnet publish left no $work/app/app/Lilium.Relay"

  # The image runs as the non-root user app, and ICE-TCP listens on 443: the executable gets the one capability that
  # needs (cap_net_bind_service, permitted + effective), stored as the file's security.capability xattr in the layer
  # (PAX SCHILY.xattr record), which the container runtime restores on unpack. Fargate's default capability set keeps
  # NET_BIND_SERVICE in the bounding set, so the file capability takes effect there; nothing else is granted.
  setcap cap_net_bind_service=+ep "$work/app/app/Lilium.Relay" \
    || die "setcap cap_net_bind_service on the relay failed (root and a filesystem with security xattrs are needed; TMPDIR elsewhere?)"
  layer_tar "$work/app.tar" "$work/app" --xattrs --xattrs-include=security.capability app

  echo "relay-image: OCI layout (umoci)" >&2
  rm -rf "$out"
  umoci init --layout "$out"
  umoci new --image "$out:$TAG"
  umoci raw add-layer --image "$out:$TAG" --history.created "$created" \
    --history.created_by "relay-image.sh: Debian bookworm $(tr '\n' ' ' < "$work/versions" | sed 's/ $//')" "$work/base.tar"
  umoci raw add-layer --image "$out:$TAG" --history.created "$created" \
    --history.created_by "relay-image.sh: publish-relay.sh ($BUILD) media-relay/Lilium.Relay -r $RID" "$work/app.tar"
  local labels=(
    --config.label "org.opencontainers.image.title=lilium-relay"
    --config.label "org.opencontainers.image.description=LiliumShare media relay (WHIP/WHEP SFU)"
    --config.label "org.opencontainers.image.revision=$revision"
    --config.label "org.opencontainers.image.created=$created")
  [ -z "$source_url" ] || labels+=(--config.label "org.opencontainers.image.source=$source_url")
  umoci config --image "$out:$TAG" --no-history --created "$created" --os linux --architecture "$ARCH" \
    --config.user "$APP_UID:$APP_UID" --config.workingdir /app --config.entrypoint /app/Lilium.Relay \
    --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --config.env "APP_UID=$APP_UID" --config.env "DOTNET_RUNNING_IN_CONTAINER=true" \
    --config.env "RELAY_BIND_ADDRESS=0.0.0.0" --config.env "RELAY_MEDIA_PORT=$MEDIA_PORT" --config.env "RELAY_TCP_PORT=$TCP_PORT" \
    --config.exposedports "$HTTP_PORT/tcp" --config.exposedports "$MEDIA_PORT/udp" --config.exposedports "$TCP_PORT/tcp" "${labels[@]}"
  umoci gc --layout "$out"

  # Start to ready on this machine. An arm64 relay on an x64 machine runs under qemu-user with the image's own base
  # layer as its C library and OpenSSL: proof that the cross-published executable and the arm64 packages work
  # together, but an emulated time, recorded apart (key aot-arm64-qemu) and not a figure.
  local relay_exe="$work/app/app/Lilium.Relay" result_key="$BUILD"
  if [ "$ARCH" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
    need qemu-aarch64
    relay_exe="$work/relay-under-qemu"
    printf '#!/bin/sh\nexec qemu-aarch64 -L %s %s "$@"\n' "$work/rootfs" "$work/app/app/Lilium.Relay" > "$relay_exe"
    chmod +x "$relay_exe"
    result_key="$BUILD-arm64-qemu"
  elif [ "$ARCH" = arm64 ]; then
    result_key="$BUILD-arm64"
  fi
  python3 "$ROOT/scripts/relay-ready.py" "$relay_exe" --runs "${RELAY_READY_RUNS:-10}" > "$work/ready.json"
  python3 - "$out" "$work/base.tar" "$work/app.tar" "$result_key" "$work/ready.json" "${RELAY_IMAGE_RESULTS:-$ROOT/bench/results/relay-image.json}" <<'PY'
import json, os, sys
out, base_tar, app_tar, build, ready_file, results_file = sys.argv[1:]
blob = lambda d: os.path.join(out, "blobs", *d.split(":"))
manifest = json.load(open(os.path.join(out, "index.json")))["manifests"][0]
layers = json.load(open(blob(manifest["digest"])))["layers"]
mb = lambda n: f"{n / 1e6:.1f} MB"
total = sum(l["size"] for l in layers)
print(f"relay-image: {out} (tag latest)", file=sys.stderr)
for name, layer, tar in zip(("base", "app"), layers, (base_tar, app_tar)):
    print(f"  {name} layer {layer['digest']}  {mb(layer['size'])} compressed, {mb(os.path.getsize(tar))} unpacked", file=sys.stderr)
print(f"  size {mb(total)} compressed (what a pull transfers)", file=sys.stderr)
ready = json.load(open(ready_file))
results = json.load(open(results_file)) if os.path.exists(results_file) else {}
results[build] = {
    "image_mb": round(total / 1e6, 1),
    "app_layer_mb": round(layers[1]["size"] / 1e6, 1),
    "app_unpacked_mb": round(os.path.getsize(app_tar) / 1e6, 1),
    "ready_ms_median": ready["median_ms"],
    "ready_ms": ready["runs_ms"],
    "loadavg": round(os.getloadavg()[0], 2),
}
os.makedirs(os.path.dirname(results_file), exist_ok=True)
json.dump(results, open(results_file, "w"), indent=2)
print(f"  relay start to ready (first 200 from /health): {ready['median_ms']} ms median of {len(ready['runs_ms'])}", file=sys.stderr)
for b in ("aot", "jit", "aot-arm64", "aot-arm64-qemu"):
    if b in results:
        r = results[b]
        print(f"relay-image [{b}]: image {r['image_mb']} MB compressed, app {r['app_unpacked_mb']} MB unpacked,"
              f" start to ready {r['ready_ms_median']} ms{'  (this build)' if b == build else '  (earlier run)'}", file=sys.stderr)
print(f"digest {manifest['digest']}")
PY
}

# The stack's ECR repository, from its outputs (the stack owns one unless deployed with -c relayImage=...).
stack_repository() {
  local stack="${LILIUM_STACK:-LiliumShare}" uri err
  need aws
  err="$(mktemp)"
  if ! uri="$(aws cloudformation describe-stacks --stack-name "$stack" \
      --query "Stacks[0].Outputs[?OutputKey=='RelayRepositoryUri'].OutputValue" --output text 2>"$err")"; then
    echo "relay-image: cannot read the outputs of stack '$stack': $(tr '\n' ' ' < "$err")" >&2
    rm -f "$err"
    die "Deploy first (make deploy), set LILIUM_STACK to the stack's name, check AWS credentials and AWS_REGION, or pass the repository URI."
  fi
  rm -f "$err"
  case "$uri" in ""|None) die "stack '$stack' has no RelayRepositoryUri output: it was deployed with -c relayImage=...; push to that image's repository by passing its URI." ;; esac
  echo "$uri"
}

push() {
  local layout="$ROOT/artifacts/relay-image" target=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --layout) layout="${2:?--layout needs a directory}"; shift 2 ;;
      *) [ -z "$target" ] || die "one target only (got '$target' and '$1')"; target="$1"; shift ;;
    esac
  done
  need skopeo
  [ -f "$layout/index.json" ] && [ -f "$layout/oci-layout" ] || die "no OCI image layout at $layout; build it first: make relay-image"
  [ -n "$target" ] || target="$(stack_repository)"
  case "${target##*/}" in *:*|*@*) ;; *) target="$target:$TAG" ;; esac
  local host="${target%%/*}" work
  work="$(mktemp -d "${TMPDIR:-/tmp}/relay-image-push.XXXXXX")"
  trap "rm -rf '$work'" EXIT
  local args=(--dest-tls-verify="${RELAY_IMAGE_TLS_VERIFY:-true}" --digestfile "$work/digest")

  # ECR: a 12-hour password from the caller's AWS credentials, user AWS, kept in a private auth file (not in argv).
  if [[ "$host" =~ ^[0-9]{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$ ]]; then
    need aws
    local region="${BASH_REMATCH[2]}"
    if ! aws ecr get-login-password --region "$region" > "$work/password" 2> "$work/err"; then
      die "no ECR login for $region: $(tr '\n' ' ' < "$work/err")
  Configure AWS credentials (aws configure, AWS_PROFILE) for an identity allowed ecr:GetAuthorizationToken."
    fi
    if ! skopeo login --authfile "$work/auth.json" --username AWS --password-stdin "$host" < "$work/password" > /dev/null 2> "$work/err"; then
      die "$host refused the ECR login: $(tr '\n' ' ' < "$work/err")"
    fi
    args+=(--dest-authfile "$work/auth.json")
  fi

  echo "relay-image: pushing $layout to $target" >&2
  if ! skopeo copy --quiet "${args[@]}" "oci:$layout:$TAG" "docker://$target" 2> "$work/err"; then
    cat "$work/err" >&2
    die "push to $target failed (above). For a registry that needs a login: skopeo login $host; plain HTTP: RELAY_IMAGE_TLS_VERIFY=false."
  fi
  echo "relay-image: pushed $target" >&2
  echo "digest $(cat "$work/digest")"
}

pin() {
  need apt-get apt-cache sha256sum
  ensure_arch
  local name version sha deb lines=()
  while read -r name _ _; do
    version="$(apt-cache policy "$(apt_name "$name")" | awk '/Candidate:/ { print $2 }')"
    [ -n "$version" ] && [ "$version" != "(none)" ] || die "apt knows no $name for $ARCH (apt-get update? for arm64: dpkg --add-architecture arm64 first)"
    deb="$(fetch_deb "$name" "$version" "")"
    sha="$(sha256sum "$deb" | cut -c1-64)"
    lines+=("$name $version $sha")
  done < <(pins)
  { grep -E '^[[:space:]]*#' "$PINS"; printf '%s\n' "${lines[@]}"; } > "$PINS.new"
  mv "$PINS.new" "$PINS"
  git -C "$ROOT" --no-pager diff --stat -- "$PINS" >&2 || true
}

case "${1:-}" in
  build) shift; build "$@" ;;
  push) shift; push "$@" ;;
  pin) pin ;;
  *) echo "usage: $0 build [OUT] | push [URI[:TAG]] [--layout DIR] | pin" >&2; exit 2 ;;
esac

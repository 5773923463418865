# Sourced by scripts/container-images and scripts/container-test.
# podman build does not take containers.conf's default_ulimits (its own
# defaults are above what root may set here): the same limits, as
# --ulimit arguments in the array `ulimits` (scripts/setup-podman writes them).
mapfile -t ulimits < <(grep '^default_ulimits' /etc/containers/containers.conf 2>/dev/null |
  grep -o '"[a-z]*=[0-9:]*"' | tr -d '"' | sed 's/^/--ulimit=/')

#!/usr/bin/env bash
# Installs the Debian packages the test suite uses as independent oracles and sample data:
# numpy/scipy/nibabel/pydicom/torch/onnx/yaml for /usr/bin/python3, ITK's example brain MRI volumes, and
# fontconfig with the DejaVu fonts, which Java2D needs to draw the charts' text headless, and Xvfb, a
# display for the test of what VoxelSeg shows in ImageJ's windows.
# Does nothing when they are already there.
set -euo pipefail
pkgs=(fontconfig fonts-dejavu-core xvfb xauth python3-numpy python3-scipy python3-nibabel python3-pydicom python3-torch python3-onnx python3-yaml insighttoolkit5-examples)
missing=()
for p in "${pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing test dependencies: ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"""The Kubernetes manifests (base/): the working example for the default sweep, and the templates
that ``launchers.k8s`` fills in for any sweep (installed with the package)."""

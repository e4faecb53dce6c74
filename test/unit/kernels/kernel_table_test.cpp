// Placeholder: filled in by the kernel work of issue 4.

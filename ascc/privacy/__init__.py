"""Privacy: retention rules per class of data, privacy-notice versions and their acceptance."""

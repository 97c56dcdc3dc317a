"""Privacy, above every domain: retention rules per class of data, privacy-notice versions and their
acceptance, one person's data as JSON, deleting an account and forgetting a person."""

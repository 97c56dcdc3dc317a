"""Uploaded files (photos, slides, logos, brochures), kept in the database so every worker sees them."""

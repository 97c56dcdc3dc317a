"""The solutions marketplace: exhibitors and their booths, solutions and packages, city needs, suggestions, leads."""

"""Site tours: themed courses with limited seats, first come first served or a preference ballot."""

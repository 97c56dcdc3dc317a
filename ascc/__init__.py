"""The ASCC platform: runs the Asia Smart City Conference in person, online and hybrid."""

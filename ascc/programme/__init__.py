"""The programme: tracks, sessions, speakers, materials, schedule releases and personal agendas."""

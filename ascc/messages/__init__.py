"""Messages between participants who agreed to meet: conversations, blocks, reports and the daily digest."""

"""Online and hybrid attendance: streams per language channel behind signed links, live Q&A and polls over
server-sent events, the "now and next" page with announcements, viewing time from heartbeats."""

"""Job aids: one-page counter sheets of a module and staff-room posters of a campaign, with QR."""

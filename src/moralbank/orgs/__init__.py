"""Organisation: city, township/street, village/community, grid."""

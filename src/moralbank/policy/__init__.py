"""Policy as data: the versioned indicator catalogue, tiers, benefits and credit rules."""

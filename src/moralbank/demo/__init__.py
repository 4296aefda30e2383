"""The synthetic demo city (shaped like Yuyao; every person in it is synthetic)."""

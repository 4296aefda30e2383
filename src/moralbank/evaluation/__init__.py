"""Moral evaluation: self, grid mutual, village/community and big-data evaluation; objections and repair."""

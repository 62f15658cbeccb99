"""The exchange gateway: consuming systems read granted data, and only granted data.

Whatever a request says, the gateway reads only the grant's fields and rows of the latest
dataset version, transforms personal fields by the grant's policies, and ledgers what left.
"""

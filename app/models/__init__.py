"""Tables that more than one domain reads (as polar keeps its models apart from its domains).

The loan book's tables are read by loans (which writes them), by risk (aggregates) and by
applications (a borrower's own open loans count in the PDN), so none of those packages
owns them and none imports another to reach them.
"""

"""From laptop to AWS: the deployment packages (`package`) and, above them, `deploy`.

Packaging is pure local work (no AWS call); boto3 is imported only where AWS is called.
"""

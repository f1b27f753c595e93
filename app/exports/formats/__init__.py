"""One writer per export format; each writes its files into the staging folder and names them."""

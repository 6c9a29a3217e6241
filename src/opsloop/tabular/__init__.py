"""Reading data assets (uri_file, uri_folder, mltable) as pandas DataFrames."""

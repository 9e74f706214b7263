# %%
# Not hostile: what a fresh kernel's interpreter looks like, for the forked kernel to match.
import gc, os, sys
report(gc_enabled=gc.isenabled(), gc_threshold=list(gc.get_threshold()), argv0=os.path.basename(sys.argv[0]),
       cwd=os.getcwd(), name=__name__)

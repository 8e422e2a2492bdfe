"""Reading and writing: plain arrays (.npy/.npz/.nc), NWB recordings, binned netCDF tensors, JSON."""

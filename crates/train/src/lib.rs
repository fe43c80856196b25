//! Datasets, data loading, SGD and the minibatch training loop. (Being built.)

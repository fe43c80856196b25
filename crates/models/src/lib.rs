//! Linear layers, linear and softmax regression, the `torch.nn` losses and the `torch.nn.init` initialisers. (Being built.)

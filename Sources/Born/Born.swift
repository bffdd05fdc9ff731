@_exported import BornAutodiff
@_exported import BornCPU
@_exported import BornCore
@_exported import BornData
@_exported import BornIO
@_exported import BornNN
@_exported import BornOptim
@_exported import BornWebGPU

@_exported import BornAutodiff
@_exported import BornCPU
@_exported import BornCore

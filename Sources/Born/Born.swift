@_exported import BornCPU
@_exported import BornCore

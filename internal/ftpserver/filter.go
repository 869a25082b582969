package ftpserver

// ParseFilter is replaced by the real implementation.
func ParseFilter(s string) (any, error) { return nil, nil }

import Born

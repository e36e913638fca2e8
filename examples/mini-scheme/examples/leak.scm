;; A program that leaks: every request is remembered in a global table that nothing ever
;; trims. Run it with --trace-alloc to see which Scheme line holds the memory.

(define *seen* '())

(define (handle-request id)
  (let ((record (vector id (number->string id) (list 'request id))))
    (set! *seen* (cons record *seen*))
    (vector-ref record 0)))

(define (serve n)
  (let loop ((i 0) (sum 0))
    (if (< i n)
        (loop (+ i 1) (+ sum (handle-request i)))
        sum)))

(display "served: ") (display (serve 20000)) (newline)
(display "remembered: ") (display (length *seen*)) (newline)

;; Closures and environments that form cycles: reference counting alone cannot free them,
;; the cycle collector does.

;; A counter object: the closures capture the environment that holds them (env -> closure -> env).
(define (make-counter)
  (define count 0)
  (define (increment!) (set! count (+ count 1)) count)
  (define (get) count)
  (lambda (message)
    (cond ((eq? message 'increment) (increment!))
          ((eq? message 'get) (get))
          (else (error "unknown message" message)))))

;; Mutually recursive local procedures: each closure's environment holds both closures.
(define (parity n)
  (letrec ((ev? (lambda (k) (if (= k 0) #t (od? (- k 1)))))
           (od? (lambda (k) (if (= k 0) #f (ev? (- k 1))))))
    (if (ev? n) 'even 'odd)))

;; A list that contains itself, through set-cdr!.
(define (make-ring n)
  (let ((ring (list n)))
    (set-cdr! ring ring)
    ring))

(define (churn k)
  (let loop ((i 0) (total 0))
    (if (< i k)
        (let ((c (make-counter)))
          (c 'increment)
          (c 'increment)
          (make-ring i)
          (parity (modulo i 64))
          (loop (+ i 1) (+ total (c 'get))))
        total)))

(display "counted: ") (display (churn 5000)) (newline)
(display "parity of 7: ") (display (parity 7)) (newline)
(display "collected by a full collection: ") (display (> (gc-collect) -1)) (newline)
